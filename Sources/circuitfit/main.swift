import CircuitFit
print("placeholder")
