;; Grows its memory a page at a time until it cannot: stopped by the
;; memory limit (a trap, not the -1 that would let it carry on).
(module
  (memory (export "memory") 1)
  (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "grantline_check") (param i32 i32) (result i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    ;; Reached only if growing ever failed quietly.
    i32.const 1))
