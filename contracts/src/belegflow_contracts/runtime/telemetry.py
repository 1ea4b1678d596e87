"""OpenTelemetry tracer setup: OTLP when configured, console (stderr) for debugging, or none (the default).

Database queries (asyncpg) and S3 calls (ObjectStore's, the archive's through botocore) get spans of their own,
children of the message or request that caused them, wherever spans go somewhere. With no exporter they are left
out: such a span would be made and dropped for every query and S3 request (a fifth of a message's CPU in ingest and
accrual). The spans of messages and requests stay, so log lines keep their trace id and a trace still runs across
the services.
"""

from __future__ import annotations

import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from belegflow_contracts.runtime import storage
from belegflow_contracts.runtime.settings import OtelExporter, ServiceSettings


def configure_tracing(service: str, settings: ServiceSettings) -> TracerProvider:
    """Install a tracer provider for ``service``; spans go where ``otel_exporter`` says."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"belegflow-{service}"}))
    exporter: SpanExporter | None = None
    if settings.otel_exporter is OtelExporter.CONSOLE:
        # stderr keeps stdout a clean stream of JSON log lines
        exporter = ConsoleSpanExporter(out=sys.stderr)
    elif settings.otel_exporter is OtelExporter.OTLP:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint) if settings.otel_endpoint else OTLPSpanExporter()
    trace.set_tracer_provider(provider)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
        instrument_clients(provider)
    return provider


def instrument_clients(provider: TracerProvider) -> None:
    """Spans for every asyncpg query and every S3 call (once per process)."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

    asyncpg_spans = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    s3_spans = BotocoreInstrumentor()  # type: ignore[no-untyped-call]
    for instrumentor in (asyncpg_spans, s3_spans):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
    storage.trace_calls(provider.get_tracer("belegflow_contracts.runtime.storage"))
