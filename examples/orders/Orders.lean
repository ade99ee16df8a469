import Orders.Relations
import Orders.Sorted
import Orders.MaxList
import Orders.Bounds
import Orders.Minimum
import Orders.Divisibility
