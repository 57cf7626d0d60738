"""One module a section: `SECTION` (its key), `Entry` (one item's model) and `SINGLE`.

A module with `SINGLE = True` describes a section that is one map of settings (`project`,
`network`, `dns`); otherwise the section is a map of name -> `Entry`.
"""
