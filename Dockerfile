FROM python:3.11-slim
WORKDIR /app
COPY sdk ./sdk
COPY pyproject.toml README.md ./
COPY tripwire ./tripwire
COPY streams ./streams
COPY detectors ./detectors
COPY sinks ./sinks
COPY ui ./ui
COPY benchmarks ./benchmarks
RUN pip install --no-cache-dir ./sdk . 
EXPOSE 6066 8501
CMD ["tripwire", "worker"]
