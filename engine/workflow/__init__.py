"""The SpiffWorkflow runtime: process versions, instances, human tasks, service calls, timers,
messages, incidents and the restricted script environment.

The public entry point is :class:`engine.workflow.runtime.WorkflowEngine`; each of its commands
runs inside the caller's transaction and leaves the database consistent when it returns.
"""
