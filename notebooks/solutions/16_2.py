import helpers

# The first jump aims at the end of x_T's own path. DDIM's second step re-noises that answer along the first jump's
# implied noise; the point it makes lies on another path, and the student's second jump goes to that path's end.
prediction = "b"

helpers.check_exercise("16.2", prediction)
