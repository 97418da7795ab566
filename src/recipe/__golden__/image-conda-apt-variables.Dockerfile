# envforge image envforge_a166c3ab441bcfdcc46092a55c778c3f, definition envforge_90370029987f99d6223eeb31ebde58da
FROM 127.0.0.1:5000/envforge/ubuntu:22.04@sha256:1111111111111111111111111111111111111111111111111111111111111111
USER root
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
# conda environment envforge_90370029987f99d6223eeb31ebde58da, linked by envforge, one layer per package group
COPY envforge/prefix/runtime/ /opt/envforge/env/
COPY envforge/prefix/group-2/ /opt/envforge/env/
COPY envforge/prefix/group-3/ /opt/envforge/env/
COPY envforge/prefix/group-7/ /opt/envforge/env/
ENV PATH=/opt/envforge/env/bin:$PATH
ENV CONDA_PREFIX=/opt/envforge/env
# .pyc files for conda's noarch packages; unchecked-hash pycs do not depend on file times.
# A file that does not compile is left to Python to compile on import.
RUN /opt/envforge/env/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/envforge/env/lib/python3*/site-packages || true
ENV CONDA_DEFAULT_ENV=envforge_90370029987f99d6223eeb31ebde58da
ENV HF_HOME="/cache/huggingface"
ENV MALLOC_ARENA_MAX="2"
ENV OMP_NUM_THREADS="4"
LABEL "dev.envforge.definition-hash"="envforge_90370029987f99d6223eeb31ebde58da" \
    "dev.envforge.image-hash"="envforge_a166c3ab441bcfdcc46092a55c778c3f" \
    "org.opencontainers.image.base.digest"="sha256:1111111111111111111111111111111111111111111111111111111111111111" \
    "org.opencontainers.image.base.name"="127.0.0.1:5000/envforge/ubuntu:22.04"
