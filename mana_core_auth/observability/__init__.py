"""What operators watch: request ids, request logs and Prometheus metrics."""
