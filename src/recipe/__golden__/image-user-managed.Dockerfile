# envforge image envforge_fa1175954bbe6ca4c55c0a06d9c3d273, definition envforge_d4816b30e30f01008e30469dc6ffea56
FROM 127.0.0.1:5000/library/python:3.12-slim
ENV GREETING="say \"hi\" to \$USER \\o/"
ENV PYTHONUNBUFFERED="1"
LABEL "dev.envforge.definition-hash"="envforge_d4816b30e30f01008e30469dc6ffea56" \
    "dev.envforge.image-hash"="envforge_fa1175954bbe6ca4c55c0a06d9c3d273" \
    "org.opencontainers.image.base.name"="127.0.0.1:5000/library/python:3.12-slim"
