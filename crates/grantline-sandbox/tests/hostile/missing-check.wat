;; Has no `grantline_check`: rejected at load.
(module
  (memory (export "memory") 1)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024))
