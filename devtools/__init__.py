"""Developer tools for this repository; not part of the vir-sidecar package or its image."""
