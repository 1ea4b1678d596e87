"""Ingest's domain metrics (Prometheus): documents by status and decision, intake, edge sessions, latency.

Labels never carry a tenant, device or document: their number stays bounded however many there are.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from belegflow_contracts.runtime.metrics import LATENCY_BUCKETS_S

DOCUMENTS = Counter("belegflow_documents_total", "documents reaching a status in the read model", ["status"])
DECISIONS = Counter("belegflow_decisions_total", "matching's decisions as ingest recorded them", ["decision"])
INTAKE = Counter("belegflow_intake_total", "documents offered to ingest, by channel and result",
                 ["source", "result"])
MAIL_MESSAGES = Counter("belegflow_mail_messages_total", "mail read from the tenants' mailboxes, by outcome",
                        ["outcome"])
UPLOAD_TO_EXPORT = Histogram("belegflow_upload_to_export_seconds",
                             "from a document's receipt to its TMS export", buckets=LATENCY_BUCKETS_S)
EDGE_SESSIONS = Counter("belegflow_edge_sessions_total", "device sync sessions ended, by result", ["result"])
EDGE_OPEN_SESSIONS = Gauge("belegflow_edge_sessions_open", "device sync sessions in progress")
EDGE_BACKLOG = Gauge("belegflow_edge_backlog_documents",
                     "documents devices reported as not yet synced at their latest session start")
