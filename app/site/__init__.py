"""The insights web site: its pages, sign-in and sessions (Starlette routes over the domain)."""
