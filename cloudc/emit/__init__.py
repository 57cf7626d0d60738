"""Emit stage: CloudFormation templates, the manifest, and the atomic write of the tree."""
