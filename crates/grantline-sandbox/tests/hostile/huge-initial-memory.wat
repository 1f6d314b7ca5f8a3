;; Asks for 32 MiB of memory up front, over the 16 MiB limit: rejected
;; when it is loaded.
(module
  (memory (export "memory") 512)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "grantline_check") (param i32 i32) (result i32) i32.const 1))
