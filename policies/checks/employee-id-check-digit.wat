;; Passes when the identity's employee number has a valid check digit: the
;; last digit of `employee_id` is the sum of its other digits modulo 10
;; (`NW-01236`: 0+1+2+3 = 6). Fails, and says why in the log, when the
;; number has no valid check digit or the identity has none.
;;
;; The input is the compact JSON of docs/custom-checks.md, so the value is
;; found after the bytes `"employee_id":"`.
(module
  (import "grantline" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "\"employee_id\":\"")   ;; 15 bytes
  (data (i32.const 48) "no valid check digit")  ;; 20 bytes
  (data (i32.const 80) "no employee_id")        ;; 14 bytes

  ;; Room for `size` bytes at offset 1024, growing memory when needed.
  (func (export "grantline_alloc") (param $size i32) (result i32)
    (local $pages i32)
    (local.set $pages
      (i32.shr_u
        (i32.add (i32.add (local.get $size) (i32.const 1024)) (i32.const 65535))
        (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1024))

  ;; The offset just after the first `"employee_id":"` in the input, or -1.
  (func $find (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $j i32)
    (block $absent
      (loop $next
        (br_if $absent (i32.gt_u (i32.add (local.get $i) (i32.const 15)) (local.get $len)))
        (local.set $j (i32.const 0))
        (block $differs
          (loop $compare
            (br_if $differs
              (i32.ne
                (i32.load8_u (i32.add (i32.add (local.get $ptr) (local.get $i)) (local.get $j)))
                (i32.load8_u (i32.add (i32.const 16) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $compare (i32.lt_u (local.get $j) (i32.const 15))))
          (return (i32.add (local.get $i) (i32.const 15))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  (func (export "grantline_check") (param $ptr i32) (param $len i32) (result i32)
    (local $at i32) (local $c i32) (local $sum i32) (local $last i32) (local $digits i32)
    (local.set $at (call $find (local.get $ptr) (local.get $len)))
    (if (i32.lt_s (local.get $at) (i32.const 0))
      (then
        (call $log (i32.const 80) (i32.const 14))
        (return (i32.const 0))))
    (local.set $last (i32.const -1))
    ;; Every digit up to the closing quote: the others summed, the last kept.
    (block $end
      (loop $scan
        (br_if $end (i32.ge_u (local.get $at) (local.get $len)))
        (local.set $c (i32.load8_u (i32.add (local.get $ptr) (local.get $at))))
        (br_if $end (i32.eq (local.get $c) (i32.const 34)))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 48)) (i32.le_u (local.get $c) (i32.const 57)))
          (then
            (if (i32.ge_s (local.get $last) (i32.const 0))
              (then (local.set $sum (i32.add (local.get $sum) (local.get $last)))))
            (local.set $last (i32.sub (local.get $c) (i32.const 48)))
            (local.set $digits (i32.add (local.get $digits) (i32.const 1)))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $scan)))
    (if (result i32)
      (i32.and
        (i32.ge_u (local.get $digits) (i32.const 2))
        (i32.eq (i32.rem_u (local.get $sum) (i32.const 10)) (local.get $last)))
      (then (i32.const 1))
      (else
        (call $log (i32.const 48) (i32.const 20))
        (i32.const 0)))))
