# envforge image envforge_73bac68ea9a970feca6be247f5440a20, definition envforge_453acbcbd5f3b188b6d5bd98059aeac5
FROM 127.0.0.1:5000/envforge/debian:bookworm
USER root
# conda environment envforge_453acbcbd5f3b188b6d5bd98059aeac5, linked by envforge, one layer per package group
COPY envforge/prefix/all/ /opt/envforge/env/
ENV PATH=/opt/envforge/env/bin:$PATH
ENV CONDA_PREFIX=/opt/envforge/env
# .pyc files for conda's noarch packages; unchecked-hash pycs do not depend on file times.
# A file that does not compile is left to Python to compile on import.
RUN /opt/envforge/env/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/envforge/env/lib/python3*/site-packages || true
COPY envforge/requirements.txt envforge/constraints.txt /opt/envforge/
RUN --mount=type=secret,id=envforge-pip-netrc,target=/root/.netrc /opt/envforge/env/bin/python -m pip install --no-cache-dir --disable-pip-version-check --no-input -r /opt/envforge/requirements.txt
ENV CONDA_DEFAULT_ENV=envforge_453acbcbd5f3b188b6d5bd98059aeac5
LABEL "dev.envforge.definition-hash"="envforge_453acbcbd5f3b188b6d5bd98059aeac5" \
    "dev.envforge.image-hash"="envforge_73bac68ea9a970feca6be247f5440a20" \
    "org.opencontainers.image.base.name"="127.0.0.1:5000/envforge/debian:bookworm"
