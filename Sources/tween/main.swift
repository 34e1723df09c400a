print("tween")
