import Lists.Basic
import Lists.Mem
import Lists.Filter
import Lists.TakeDrop
import Lists.Fold
import Lists.Sums
