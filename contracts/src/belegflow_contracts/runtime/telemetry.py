"""OpenTelemetry tracer setup: console exporter by default, OTLP when configured, or none."""

from __future__ import annotations

import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

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
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider
