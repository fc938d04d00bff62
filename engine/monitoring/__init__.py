"""What managers watch: where dossiers stand (phase board), how long phases take (dwell times),
what comes in and goes out (flow), where work piles up (workload, overdue) and what is stuck
(incidents, timers), plus saved reports. Read-only queries over the tables the engine and the
case records keep; one module per subject, each taking a :class:`~engine.monitoring.filters.Scope`."""
