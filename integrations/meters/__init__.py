"""Meter readings from the outside world (seed 000): files of readings (CSV, Excel) and the JSON
lines wmbusmeters prints for radio telegrams. Each source turns its input into ``RawReading``s;
``importer.run`` records them through engine/metering/readings.record_reading, so every source
refuses the same things for the same reasons (docs/meter-readings.md)."""
