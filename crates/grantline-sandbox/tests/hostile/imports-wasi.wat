;; Wants to write to a file descriptor through WASI: rejected at load.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "grantline_check") (param i32 i32) (result i32) i32.const 1))
