import streamlit as st

st.set_page_config(page_title="Tripwire", layout="wide")
st.title("Tripwire")
st.write("UI coming up.")
