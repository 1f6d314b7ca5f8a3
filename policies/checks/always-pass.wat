;; The smallest check: passes for everyone. Used by the benchmarks to
;; measure the cost of a call itself.
(module
  (memory (export "memory") 1)
  ;; The input is written at offset 1024 (it fits one page in the
  ;; benchmarks; a real check grows its memory, see the other examples).
  (func (export "grantline_alloc") (param $size i32) (result i32)
    i32.const 1024)
  (func (export "grantline_check") (param $ptr i32) (param $len i32) (result i32)
    i32.const 1))
