"""WTForms (Flask-WTF, CSRF on) forms, one module per blueprint."""
