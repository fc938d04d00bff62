"""Everything in Guichet that works without a web request: the workflow runtime, the domain
models and the background jobs. ``engine`` imports nothing from ``webapp``, ``forms`` or
``integrations``; they plug into it through registries."""
