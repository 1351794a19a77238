import helpers

# CD's loss compares the student's answers at neighbouring grid points only. Near the data those points are so close that a
# student returning its input unchanged pays almost nothing there, and the trained student comes close to doing that: it
# barely moves the point, so most of the distance to the end of the path is left.
prediction = "b"

helpers.check_exercise("16.2", prediction)
