;; unsupported: canon task.cancel is not supported yet
(component (core func (canon task.cancel)))
