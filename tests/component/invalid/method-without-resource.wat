;; invalid: names no resource imported or exported before it
(component
  (import "[method]thing.go" (func)))
