print("loaded from helper")
