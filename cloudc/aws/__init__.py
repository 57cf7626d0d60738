"""Talk to AWS: fetch deployed stacks, diff them against a build, deploy a build.

`session` sets up boto3 clients and turns API failures into one-line errors; `fetch` reads a
deployed root stack and its nested stacks; `diff` compares two sets of templates (no AWS
needed, so `validate --against-last-build` uses it too); `render` prints a plan; `deploy`
uploads artifacts, runs one change set and streams events.
"""
