"""The demo district (演示): deterministic generated data, labelled as demo everywhere."""
