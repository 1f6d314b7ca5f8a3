;; Never returns: stopped by the fuel limit.
(module
  (memory (export "memory") 1)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "grantline_check") (param i32 i32) (result i32)
    (loop $forever (br $forever))
    i32.const 1))
