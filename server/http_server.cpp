// The HTTP server (being written).
