# envforge image envforge_84c0c34b3b117cc7cca3813cf5434c28, definition envforge_453acbcbd5f3b188b6d5bd98059aeac5
FROM 127.0.0.1:5000/envforge/debian:bookworm
USER root
# conda environment envforge_453acbcbd5f3b188b6d5bd98059aeac5, linked by envforge, one layer per package group
COPY envforge/prefix/runtime/ /opt/envforge/env/
COPY envforge/prefix/group-3/ /opt/envforge/env/
ENV PATH=/opt/envforge/env/bin:$PATH
ENV CONDA_PREFIX=/opt/envforge/env
# .pyc files for conda's noarch packages; unchecked-hash pycs do not depend on file times.
# A file that does not compile is left to Python to compile on import.
RUN /opt/envforge/env/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/envforge/env/lib/python3*/site-packages || true
# pip distributions of the lock, installed by envforge, one layer each
COPY envforge/pip/fastapi/ /
COPY envforge/pip/pydantic/ /
COPY envforge/pip/torch/ /
ENV CONDA_DEFAULT_ENV=envforge_453acbcbd5f3b188b6d5bd98059aeac5
LABEL "dev.envforge.definition-hash"="envforge_453acbcbd5f3b188b6d5bd98059aeac5" \
    "dev.envforge.image-hash"="envforge_84c0c34b3b117cc7cca3813cf5434c28" \
    "org.opencontainers.image.base.name"="127.0.0.1:5000/envforge/debian:bookworm"
