"""Throughput and scaling of the vectorized kernel, against a plain per-agent Mesa reference.

``benchmarks.reference`` holds the reference implementation of the session rules (one Mesa agent per
client, Python floats, scalar draws); ``python -m benchmarks`` measures both side by side. See
benchmarks/README.md.
"""
