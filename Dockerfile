# One image for the API and the workers (docker-compose.yml). The package is installed
# editable so the shipped ontologies/ and the built frontend resolve next to the code.
FROM node:20-slim AS frontend
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim
WORKDIR /app
COPY . .
COPY --from=frontend /app/frontend/dist frontend/dist
RUN pip install --no-cache-dir -e '.[worker]'
EXPOSE 8000
CMD ["ontolabel", "serve", "--host", "0.0.0.0", "--port", "8000"]
