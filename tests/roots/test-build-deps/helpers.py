def greet():
    return "hello from helpers v1"
