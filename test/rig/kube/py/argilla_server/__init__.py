"""Rig stand-in for the argilla_server CLI inside the argilla-server container (run via kubectl exec)."""
