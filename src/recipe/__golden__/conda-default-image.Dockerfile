# envforge image envforge_07a98c9069520d6fe78188e8d859c6d6, definition envforge_a1b8fd31184f703f62989306a50927ea
FROM 127.0.0.1:5000/envforge/debian:bookworm
USER root
# conda environment envforge_a1b8fd31184f703f62989306a50927ea, linked by envforge, one layer per package group
COPY envforge/prefix/all/ /opt/envforge/env/
ENV PATH=/opt/envforge/env/bin:$PATH
ENV CONDA_PREFIX=/opt/envforge/env
# .pyc files for conda's noarch packages; unchecked-hash pycs do not depend on file times.
# A file that does not compile is left to Python to compile on import.
RUN /opt/envforge/env/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/envforge/env/lib/python3*/site-packages || true
COPY envforge/requirements.txt /opt/envforge/
RUN /opt/envforge/env/bin/python -m pip install --no-cache-dir --disable-pip-version-check --no-input -r /opt/envforge/requirements.txt
ENV CONDA_DEFAULT_ENV=envforge_a1b8fd31184f703f62989306a50927ea
LABEL "dev.envforge.definition-hash"="envforge_a1b8fd31184f703f62989306a50927ea" \
    "dev.envforge.image-hash"="envforge_07a98c9069520d6fe78188e8d859c6d6" \
    "org.opencontainers.image.base.name"="127.0.0.1:5000/envforge/debian:bookworm"
