module goro/benchmarks/go

go 1.19
