from sidecar.metrics import create_metrics


def test_serving_gauge_follows_health() -> None:
    metrics = create_metrics()
    assert metrics.registry.get_sample_value("vir_serving") == 0

    metrics.set_serving(True)
    assert metrics.registry.get_sample_value("vir_serving") == 1

    metrics.set_serving(False)
    assert metrics.registry.get_sample_value("vir_serving") == 0
