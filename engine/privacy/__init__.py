"""Personal data: the append-only access log for the data-protection officer (who read, exported
or changed which personal record, when and from where), a person's data export, the erasure
(anonymisation) of a contact and the retention rules applied by a beat job.

The access log is separate from ``audit_events`` (the change history of a record): it also holds
reads and sign-ins, is written far more often, and must never be altered once written."""
