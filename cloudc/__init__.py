"""cloudc: compile one declarative cloud.yaml into nested-stack AWS CloudFormation."""

__version__ = "0.1.0"
