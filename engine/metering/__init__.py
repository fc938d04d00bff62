"""Buildings, their meters and readings (seed 000). The portal's per-building access reads
:class:`~engine.metering.models.Building`; meters and readings come with the metering issue."""
