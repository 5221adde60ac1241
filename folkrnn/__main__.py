from folkrnn.cli import entry_point

if __name__ == "__main__":  # a spawned worker process imports this module again: it must not run
    entry_point()
