"""Open Policy Agent in one place: the decision entrypoint and the policy bundle."""
