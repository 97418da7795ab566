# escape=`
FROM 127.0.0.1:5000/library/debian:bookworm
COPY app/ /app/
RUN echo built `
    > /app/built.txt

# envforge image envforge_a051d83272ffdfea36de1032b7100a19, definition envforge_39faba56521f535259e1f0cfa6f20b8c
USER root
# conda environment envforge_39faba56521f535259e1f0cfa6f20b8c, linked by envforge, one layer per package group
COPY envforge/prefix/all/ /opt/envforge/env/
ENV PATH=/opt/envforge/env/bin:$PATH
ENV CONDA_PREFIX=/opt/envforge/env
# .pyc files for conda's noarch packages; unchecked-hash pycs do not depend on file times.
# A file that does not compile is left to Python to compile on import.
RUN /opt/envforge/env/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/envforge/env/lib/python3*/site-packages || true
ENV CONDA_DEFAULT_ENV=envforge_39faba56521f535259e1f0cfa6f20b8c
ENV APP_HOME="/app"
LABEL "dev.envforge.definition-hash"="envforge_39faba56521f535259e1f0cfa6f20b8c" `
    "dev.envforge.image-hash"="envforge_a051d83272ffdfea36de1032b7100a19"
