# envforge image envforge_be7175f355ebc3c9eb3b9a75bba40913, definition envforge_a1b8fd31184f703f62989306a50927ea
FROM 127.0.0.1:5000/envforge/debian:bookworm@sha256:1111111111111111111111111111111111111111111111111111111111111111
USER root
# conda environment envforge_a1b8fd31184f703f62989306a50927ea, linked by envforge, one layer per package group
COPY envforge/prefix/runtime/ /opt/envforge/env/
COPY envforge/prefix/large-pytorch/ /opt/envforge/env/
COPY envforge/prefix/group-1/ /opt/envforge/env/
COPY envforge/prefix/group-2/ /opt/envforge/env/
COPY envforge/prefix/group-3/ /opt/envforge/env/
COPY envforge/prefix/group-5/ /opt/envforge/env/
COPY envforge/prefix/group-7/ /opt/envforge/env/
ENV PATH=/opt/envforge/env/bin:$PATH
ENV CONDA_PREFIX=/opt/envforge/env
# .pyc files for conda's noarch packages; unchecked-hash pycs do not depend on file times.
# A file that does not compile is left to Python to compile on import.
RUN /opt/envforge/env/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/envforge/env/lib/python3*/site-packages || true
# pip distributions of the lock, installed by envforge, one layer each
COPY envforge/pip/requests/ /
ENV CONDA_DEFAULT_ENV=envforge_a1b8fd31184f703f62989306a50927ea
LABEL "dev.envforge.definition-hash"="envforge_a1b8fd31184f703f62989306a50927ea" \
    "dev.envforge.image-hash"="envforge_be7175f355ebc3c9eb3b9a75bba40913" \
    "org.opencontainers.image.base.digest"="sha256:1111111111111111111111111111111111111111111111111111111111111111" \
    "org.opencontainers.image.base.name"="127.0.0.1:5000/envforge/debian:bookworm"
