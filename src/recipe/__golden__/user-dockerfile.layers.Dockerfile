# envforge layers of image envforge_c9c5f50623db13dc6925bae3ee5f3997, definition envforge_fd58b29ef8b58e201383827adb35b0a4
# build on the image of the user's Dockerfile: --build-arg ENVFORGE_BASE_IMAGE=<its tag>
ARG ENVFORGE_BASE_IMAGE
FROM ${ENVFORGE_BASE_IMAGE}
USER root
# conda environment envforge_fd58b29ef8b58e201383827adb35b0a4, linked by envforge, one layer per package group
COPY envforge/prefix/all/ /opt/envforge/env/
ENV PATH=/opt/envforge/env/bin:$PATH
ENV CONDA_PREFIX=/opt/envforge/env
# .pyc files for conda's noarch packages; unchecked-hash pycs do not depend on file times.
# A file that does not compile is left to Python to compile on import.
RUN /opt/envforge/env/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/envforge/env/lib/python3*/site-packages || true
ENV CONDA_DEFAULT_ENV=envforge_fd58b29ef8b58e201383827adb35b0a4
LABEL "dev.envforge.definition-hash"="envforge_fd58b29ef8b58e201383827adb35b0a4" \
    "dev.envforge.image-hash"="envforge_c9c5f50623db13dc6925bae3ee5f3997"
USER app
