// Entry point only: errors become one line on stderr and a non-zero exit.
// (No C callbacks here: main.swift code is @MainActor in Swift 6.)
EstfcgiCommand.main_()
