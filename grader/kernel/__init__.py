"""The student's kernel: launched sandboxed (`sandbox`, `cgroup`, `env`, `kernelspec`), run cell by
cell under limits (`session`, `process`, `revival`, `output`), then probed (`probe` over `wire`,
with `runtime` running inside the kernel). Failures are the types in `errors`.

Nothing here judges an answer: this package only runs code and carries data back.
"""
